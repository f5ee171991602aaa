import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Observable, tap } from 'rxjs';
import { MetricsService } from './metrics.service';

/** Wraps validation (pipes run inside interceptors) and the store's commit of one alert. */
@Injectable()
export class IngestTimingInterceptor implements NestInterceptor {
  constructor(private readonly metrics: MetricsService) {}

  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const stop = this.metrics.ingestDuration.startTimer();
    return next.handle().pipe(tap({ next: () => stop() }));
  }
}
