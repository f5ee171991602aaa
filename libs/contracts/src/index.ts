// class-transformer's @Type reads decorator metadata: whoever imports the DTOs needs it.
// Browsers and the button agent import `@app/contracts/wire` instead (and the agent
// `@app/contracts/uuid`): the validation libraries behind the DTOs would cost the agent a
// third of its memory for nothing, and have no place in a browser bundle.
import 'reflect-metadata';

export * from './wire';
export * from './events';
export * from './dto/create-alert.dto';
export * from './dto/enrollment.dto';
export * from './dto/handle-alert.dto';
export * from './dto/heartbeat.dto';
export * from './dto/list-alerts.query';
export * from './dto/login.dto';
export * from './dto/text.validators';
export * from './uuid';
