// class-transformer's @Type reads decorator metadata: whoever imports the DTOs needs it.
// The button agent imports './alert', './device' and './uuid' directly: the validation
// libraries behind the DTOs would cost it a third of its memory for nothing.
import 'reflect-metadata';

export * from './alert';
export * from './device';
export * from './events';
export * from './dto/create-alert.dto';
export * from './dto/handle-alert.dto';
export * from './dto/heartbeat.dto';
export * from './dto/list-alerts.query';
export * from './dto/login.dto';
export * from './dto/text.validators';
export * from './uuid';
