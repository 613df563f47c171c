import './styles.css';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiFailure, getJson } from './api-client.js';
import { ErrorPanel, Loading } from './components/load-state.js';
import { lang, onLangChange, setLang, t } from './i18n.js';
import { AlertBoard } from './pages/alert-board.js';
import { FleetView } from './pages/fleet-view.js';
import { SharedShipmentPage } from './pages/shared-shipment-page.js';
import { ShipmentList } from './pages/shipment-list.js';
import { ShipmentPage } from './pages/shipment-page.js';
import { SignIn } from './pages/sign-in.js';
import { href, type Route, useRoute } from './router.js';
import { session } from './session.js';
import type { WhoAmI } from './types.js';

type User = WhoAmI['user'];

function LanguageToggle() {
  return (
    <button
      type="button"
      class="lang-toggle"
      data-testid="lang-toggle"
      onClick={() => setLang(lang() === 'en' ? 'zh-CN' : 'en')}
    >
      {t('language')}
    </button>
  );
}

function Header({ user, route, onSignOut }: { user: User | null; route: Route; onSignOut?: () => void }) {
  const operator = user && user.role !== 'shipper';
  const current = (page: Route['page']) => (route.page === page ? 'page' : undefined);
  return (
    <header class="top">
      <span class="brand">{t('appName')}</span>
      {user && (
        <nav>
          {operator && (
            <a href={href.board} aria-current={current('board')}>
              {t('navBoard')}
            </a>
          )}
          {operator && (
            <a href={href.fleet} aria-current={current('fleet')}>
              {t('navFleet')}
            </a>
          )}
          <a href={href.shipments} aria-current={current('shipments')}>
            {t('navShipments')}
          </a>
        </nav>
      )}
      <span class="spacer" />
      {user && <span class="who">{user.name}</span>}
      <LanguageToggle />
      {user && onSignOut && (
        <button type="button" onClick={onSignOut}>
          {t('signOut')}
        </button>
      )}
    </header>
  );
}

function App() {
  const [, rerender] = useState(0);
  useEffect(() => onLangChange(() => rerender((n) => n + 1)), []);
  const route = useRoute();
  const [user, setUser] = useState<User | null>(null);
  const [checking, setChecking] = useState<'idle' | 'checking' | Error>(
    session.token() ? 'checking' : 'idle',
  );

  useEffect(() => {
    if (checking !== 'checking') return;
    getJson<WhoAmI>('/v1/me').then(
      (me) => {
        setUser(me.user);
        setChecking('idle');
      },
      (err: Error) => {
        if (err instanceof ApiFailure && err.status === 401) {
          session.signOut();
          setChecking('idle');
        } else setChecking(err);
      },
    );
  }, [checking]);

  // A share link stands on its own: no sign-in, no operator controls.
  if (route.page === 'shared')
    return (
      <>
        <Header user={null} route={route} />
        <main>
          <SharedShipmentPage token={route.token} />
        </main>
      </>
    );

  const signOut = () => {
    session.signOut();
    setUser(null);
  };
  let body: preact.ComponentChildren;
  if (checking === 'checking') body = <Loading />;
  else if (checking instanceof Error)
    body = <ErrorPanel error={checking} retry={() => setChecking('checking')} />;
  else if (!user) body = <SignIn onSignedIn={setUser} />;
  else body = <Page route={route} user={user} />;
  return (
    <>
      <Header user={user} route={route} onSignOut={signOut} />
      <main>{body}</main>
    </>
  );
}

function Page({ route, user }: { route: Route; user: User }) {
  const operator = user.role !== 'shipper';
  switch (route.page) {
    case 'board':
      return operator ? <AlertBoard user={user} /> : <ShipmentList />;
    case 'fleet':
      return operator ? <FleetView /> : <ShipmentList />;
    case 'shipment':
      return <ShipmentPage id={route.id} user={user} />;
    case 'shipments':
      return <ShipmentList />;
    default:
      return operator ? <AlertBoard user={user} /> : <ShipmentList />;
  }
}

document.documentElement.lang = lang();
const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}
