export { checkpoint, ROOT, useEngine } from '../generation/engine-fixture'
