import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentInfo } from './models.js';
test('placeholder', () => { assert.ok(AgentInfo); });
