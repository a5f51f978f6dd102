module.exports = {
  ...require('../../jest.preset'),
  displayName: 'transport',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
