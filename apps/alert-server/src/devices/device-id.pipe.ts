import { BadRequestException, Injectable, PipeTransform } from '@nestjs/common';
import { DEVICE_ID_PATTERN } from '@app/contracts';

@Injectable()
export class DeviceIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!DEVICE_ID_PATTERN.test(value)) {
      throw new BadRequestException(['deviceId must be 1 to 64 of A-Z a-z 0-9 . _ -']);
    }
    return value;
  }
}
