import { mount } from 'svelte'
import App from './App.svelte'
import './app.css'
import { createApiClient } from './lib/api-client'

const target = document.getElementById('app')
if (!target) throw new Error('index.html has no #app element')
mount(App, { target, props: { client: createApiClient(window) } })
