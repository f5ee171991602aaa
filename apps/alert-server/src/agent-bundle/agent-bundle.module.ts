import { Module } from '@nestjs/common';
import { AgentBundleController } from './agent-bundle.controller';
import { AgentBundle } from './agent-bundle';

/** `GET /agent/vigie-agent.tgz` and `GET /agent/install.sh`, built by scripts/build-agent-bundle.js. */
@Module({ controllers: [AgentBundleController], providers: [AgentBundle] })
export class AgentBundleModule {}
