import { Metrics } from '../metrics/metrics';
import { Leases } from './leases';

describe('Leases', () => {
  it('reports each registered singleton as this replica sees it, and refuses a name twice', () => {
    const leases = new Leases();
    let leader = false;
    leases.register('price-ticker', () => ({ leader, holderId: 'h/1', epoch: leader ? 3 : 0 }));
    expect(leases.report()).toEqual([
      { lease: 'price-ticker', leader: false, holderId: 'h/1', epoch: 0 },
    ]);
    leader = true;
    expect(leases.report()[0]).toMatchObject({ leader: true, epoch: 3 });
    expect(() =>
      leases.register('price-ticker', () => ({ leader, holderId: 'x', epoch: 0 })),
    ).toThrow("lease 'price-ticker' is registered twice");
  });

  it('is scraped as starminer_lease_leader and starminer_lease_epoch', async () => {
    const leases = new Leases();
    const metrics = new Metrics('pricing');
    metrics.observeLeases(leases);
    let held = true;
    leases.register('price-ticker', () => ({ leader: held, holderId: 'h/1', epoch: held ? 7 : 0 }));
    leases.register('outbox-relay', () => ({ leader: false, holderId: 'h/1', epoch: 0 }));
    let page = await metrics.render();
    expect(page).toContain('starminer_lease_leader{lease="price-ticker",service="pricing"} 1');
    expect(page).toContain('starminer_lease_epoch{lease="price-ticker",service="pricing"} 7');
    expect(page).toContain('starminer_lease_leader{lease="outbox-relay",service="pricing"} 0');
    held = false;
    page = await metrics.render();
    expect(page).toContain('starminer_lease_leader{lease="price-ticker",service="pricing"} 0');
    expect(page).toContain('starminer_lease_epoch{lease="price-ticker",service="pricing"} 0');
  });
});
