// class-transformer's @Type reads decorator metadata: whoever imports the DTOs needs it.
import 'reflect-metadata';

export * from './alert';
export * from './device';
export * from './events';
export * from './dto/create-alert.dto';
export * from './dto/handle-alert.dto';
export * from './dto/heartbeat.dto';
export * from './dto/list-alerts.query';
export * from './dto/text.validators';
export * from './uuid';
