import got from 'got';
import { startSimulator } from '../../src/simulator/index.js';

it('hands out its public URL (issuer, token endpoint, api_endpoint) when one is set', async () => {
  const sim = await startSimulator({ host: '0.0.0.0', publicUrl: 'http://simulator:8787/' });
  try {
    expect(sim.url).toBe('http://simulator:8787');
    const local = `http://127.0.0.1:${sim.port}`;
    const oidc = await got(`${local}/.well-known/openid-configuration`).json<{
      issuer: string;
      token_endpoint: string;
    }>();
    expect(oidc.issuer).toBe('http://simulator:8787');
    expect(oidc.token_endpoint.startsWith('http://simulator:8787/')).toBe(true);
    const cx = await got(`${local}/.well-known/cxone-configuration?tenantId=tenant-demo`).json<{
      api_endpoint: string;
    }>();
    expect(cx.api_endpoint).toBe('http://simulator:8787');
  } finally {
    await sim.stop();
  }
});
