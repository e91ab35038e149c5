/** Spend budgets, kept as one settings document of the metadata store (they are few). */
import type { Budget } from '@agentmon/schema';
import { BUDGETS_SETTING } from '../engine/budgets.js';
import type { SettingStore } from '../storage/ports.js';

/** Most budgets kept: each is a query per evaluation. */
export const MAX_BUDGETS = 100;

/** Every budget, oldest first. */
export async function listBudgets(metadata: SettingStore): Promise<Budget[]> {
  return (await metadata.getSetting<Budget[]>(BUDGETS_SETTING)) ?? [];
}

/** Adds a budget; false when MAX_BUDGETS are kept already. */
export async function addBudget(metadata: SettingStore, budget: Budget): Promise<boolean> {
  const budgets = await listBudgets(metadata);
  if (budgets.length >= MAX_BUDGETS) return false;
  await metadata.putSetting(BUDGETS_SETTING, [...budgets, budget]);
  return true;
}

/** Removes a budget; false when there is none of that id. */
export async function removeBudget(metadata: SettingStore, id: string): Promise<boolean> {
  const budgets = await listBudgets(metadata);
  const next = budgets.filter((b) => b.id !== id);
  if (next.length === budgets.length) return false;
  await metadata.putSetting(BUDGETS_SETTING, next);
  return true;
}
