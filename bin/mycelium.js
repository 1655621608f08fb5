#!/usr/bin/env node
// The `mycelium` command. The package runs from its TypeScript sources through tsx's loader, so
// there is no build step between a checkout and a running broker.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
