import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiErrors } from '../api-docs/responses';
import { PublicAccess } from '../auth/access';
import { AgentBundle, agentBundleMissing } from './agent-bundle';

/**
 * A Pi downloads its agent here before it has a token, so the route asks for none; the bundle
 * holds no secret. No rate limit either: only device routes count requests.
 */
@ApiTags('agent')
@Controller('agent')
@PublicAccess()
export class AgentBundleController {
  constructor(private readonly bundle: AgentBundle) {}

  @Get('vigie-agent.tgz')
  @ApiOperation({
    summary: 'The button agent for a Raspberry Pi: one JavaScript file, its systemd unit and its VERSION',
  })
  @ApiProduces('application/gzip')
  @ApiOkResponse({
    description: 'a gzipped tar of the folder `vigie-agent/`',
    schema: { type: 'string', format: 'binary' },
  })
  @ApiErrors([404, 'the bundle is not built on this server (`npm run build`)'])
  download(@Res() res: Response): void {
    const path = this.bundle.locate();
    res.type('application/gzip');
    // Revalidated each time (ETag, Last-Modified): a rebuilt server hands out its new agent at once.
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(path, (error?: Error) => {
      // Removed since `locate` found it (a build in progress); a client gone mid-way needs no answer.
      if (error && !res.headersSent) res.status(404).json(agentBundleMissing().getResponse());
    });
  }
}
