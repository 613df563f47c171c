import { useEffect, useState } from 'preact/hooks';

/**
 * Pages live in the fragment (`#/shipments/S-1`): one shell serves them all, and a share link's
 * token in `#/shared/…` never reaches a server log or a Referer header.
 */
export type Route =
  | { page: 'board' }
  | { page: 'fleet' }
  | { page: 'shipments' }
  | { page: 'shipment'; id: string }
  | { page: 'shared'; token: string }
  | { page: 'home' };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  switch (parts[0]) {
    case 'alerts':
      return { page: 'board' };
    case 'fleet':
      return { page: 'fleet' };
    case 'shipments':
      return parts[1] ? { page: 'shipment', id: parts[1] } : { page: 'shipments' };
    case 'shared':
      return parts[1] ? { page: 'shared', token: parts[1] } : { page: 'home' };
    default:
      return { page: 'home' };
  }
}

export const href = {
  board: '#/alerts',
  fleet: '#/fleet',
  shipments: '#/shipments',
  shipment: (id: string) => `#/shipments/${encodeURIComponent(id)}`,
  shared: (token: string) => `#/shared/${encodeURIComponent(token)}`,
};

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}
