#!/usr/bin/env node
import { runCli } from './run-cli'

// Thin entry: everything else is in run-cli.ts so tests can call it in-process.
const code = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr })
process.exitCode = code
