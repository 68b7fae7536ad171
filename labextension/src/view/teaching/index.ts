/**
 * The instructor's controls, one set for every surface (the classroom panel,
 * the notebook widget). Each sends protocol messages through a `send` port.
 */
export * from './controls';
export * from './announce';
export * from './breakouts';
export * from './everyone';
export * from './hands';
export * from './person';
export * from './rooms';
