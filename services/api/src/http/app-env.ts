import type { ApiToken, ApiUser } from '@coldchain/store';

/** Who is calling: the user its bearer token belongs to. */
export interface Caller {
  user: ApiUser;
  token: ApiToken;
}

/** Hono's context variables of this API. */
export interface AppEnv {
  Variables: {
    caller: Caller;
  };
}
