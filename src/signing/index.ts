export * from './errors.js'
export * from './keys.js'
export * from './path-info.js'
