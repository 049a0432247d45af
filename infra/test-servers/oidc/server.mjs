// A real OpenID Connect provider (oidc-provider) for Portal's sign-in tests, on 127.0.0.1 over plain http.
//
//   node server.mjs <port>
//
// One confidential client, `portal` / `portal-test-secret`, registered as a native application so that any
// loopback port is accepted in its redirect URI (RFC 8252 §7.3): the portal under test listens on a random port.
// Authorization code flow with PKCE required. The development login form accepts any login name with any password,
// then asks for consent (always, for a native client);
// the login name becomes the subject. `alice` is the static account (groups: team-a); any other login gets
// `<login>@oidc.test` and no groups until a test sets them:
//
//   PUT /test/accounts/<login>   {"groups": ["team-a"], "email": "x@y", "email_verified": true, "name": "X"}
//
// That route exists only in this test server; it lets a test change a user's groups between two sign-ins.
import http from 'node:http';
import Provider from 'oidc-provider';

const port = Number(process.argv[2] ?? 0);
const issuer = `http://127.0.0.1:${port}`;

const accounts = new Map([
  ['alice', { email: 'alice@oidc.test', email_verified: true, name: 'Alice Example', groups: ['team-a'] }],
]);

function accountFor(login) {
  return accounts.get(login) ?? { email: `${login}@oidc.test`, email_verified: false, name: login, groups: [] };
}

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'portal',
      client_secret: 'portal-test-secret',
      application_type: 'native',
      redirect_uris: ['http://127.0.0.1/signin-oidc'],
      post_logout_redirect_uris: ['http://127.0.0.1/'],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    },
  ],
  pkce: { required: () => true },
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
    groups: ['groups'],
  },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['portal-test-oidc-cookie-key'] },
  async findAccount(ctx, sub) {
    return {
      accountId: sub,
      async claims() {
        return { sub, ...accountFor(sub) };
      },
    };
  },
});

const oidc = provider.callback();
const server = http.createServer((req, res) => {
  const match = /^\/test\/accounts\/([A-Za-z0-9._-]+)$/.exec(req.url ?? '');
  if (match && req.method === 'PUT') {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      try {
        const login = match[1];
        accounts.set(login, { ...accountFor(login), ...JSON.parse(body || '{}') });
        res.writeHead(204).end();
      } catch (err) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(String(err));
      }
    });
    return;
  }
  oidc(req, res);
});

server.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
