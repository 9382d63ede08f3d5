export * from './errors.js'
export * from './narinfo.js'
export * from './path-info-json.js'
