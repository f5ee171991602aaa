import { Controller, Get, Header, Inject, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiErrors } from '../api-docs/responses';
import { PublicAccess } from '../auth/access';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { serverUrl } from '../http/server-url';
import { version } from '../../../../package.json';
import { AgentBundle, agentBundleMissing } from './agent-bundle';

/**
 * A Pi downloads its agent here before it has a token, so the route asks for none; the bundle
 * holds no secret. No rate limit either: only device routes count requests.
 */
@ApiTags('agent')
@Controller('agent')
@PublicAccess()
export class AgentBundleController {
  constructor(
    private readonly bundle: AgentBundle,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('install.sh')
  @ApiOperation({
    summary: 'The script that installs the agent on a Pi and enrolls it',
    description:
      'Run as `curl -fsSL <server>/agent/install.sh | sudo sh -s -- <code>` (the command of `POST /devices/enrollments`). It installs from this server: its address (VIGIE_PUBLIC_URL, else the one this request reached) is filled in.',
  })
  @ApiProduces('text/x-shellscript')
  @ApiOkResponse({ description: 'a POSIX sh script', schema: { type: 'string' } })
  @ApiErrors([404, 'the bundle is not built on this server (`npm run build`)'])
  @Header('Content-Type', 'text/x-shellscript; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  installScript(@Req() req: Request): string {
    return this.bundle.installScript(serverUrl(req, this.config));
  }

  @Get('version')
  @ApiOperation({
    summary: 'The version of the agent this server hands out',
    description:
      'The dashboard marks devices whose `agentVersion` is older: run the install command again on them.',
  })
  @ApiOkResponse({
    schema: { type: 'object', properties: { version: { type: 'string', example: '0.1.0' } } },
  })
  agentVersion(): { version: string } {
    // The bundle is built from the same tree as this server: the same package version.
    return { version };
  }

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
