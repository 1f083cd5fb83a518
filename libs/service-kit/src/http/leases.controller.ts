import { Controller, Get } from '@nestjs/common';
import { Leases, type LeaseReport } from '../runtime/leases';

/** /leases: the singletons of this replica, and whether it is the one doing each. */
@Controller()
export class LeasesController {
  constructor(private readonly leases: Leases) {}

  @Get('leases')
  list(): { leases: LeaseReport[] } {
    return { leases: this.leases.report() };
  }
}
