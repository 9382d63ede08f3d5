export * from './native.js'
export * from './peer-credentials.js'
export * from './file-lock.js'
export * from './turns.js'
