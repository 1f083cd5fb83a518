// jest reads testTimeout only from the root config, not per project; this tier sets its own.
jest.setTimeout(600_000);
