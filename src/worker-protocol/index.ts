export * from './version.js'
export * from './constants.js'
export * from './errors.js'
export * from './codec/index.js'
