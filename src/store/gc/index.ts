export * from './roots.js'
export * from './temp-roots.js'
export * from './collector.js'
export * from './delete-path.js'
