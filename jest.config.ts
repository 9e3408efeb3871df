/** @jest-config-loader esbuild-register */
// Jest runs the TypeScript sources as ESM through SWC; every database test starts
// its own throwaway PostgreSQL (tests/helpers), so nothing here mocks the database.
import type { Config } from 'jest';

const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'es6' },
      },
    ],
  },
  globalSetup: '<rootDir>/tests/helpers/global-setup.ts',
  globalTeardown: '<rootDir>/tests/helpers/global-teardown.ts',
  testTimeout: 120_000,
  // Two cores: two workers keep the clusters from starving each other.
  maxWorkers: 2,
};

export default config;
