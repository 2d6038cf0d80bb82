// Starts the client: the sign-in screen, then the signed-in app.

import './styles.css';
import { forgetSignIn, rememberedSignIn } from './auth';
import { Ringer } from './ringer';
import { Session, type Me } from './session';
import { appView } from './ui/appView';
import { signInView } from './ui/signInView';

const root = document.getElementById('app')!;
let session: Session | null = null;
let ringer: Ringer | null = null;

function showSignIn(message?: string): void {
  root.replaceChildren(signInView(start, message));
}

function start(me: Me): void {
  const current = new Session(me, (reason) => void signOut(reason));
  session = current;
  const title = `DmVoice · ${me.displayName}`;
  document.title = title;
  const ring = new Ringer(current, () => title);
  ringer = ring;
  root.replaceChildren(appView(current, () => void signOut(), () => ring.update()));
  void current.start();
}

async function signOut(message?: string): Promise<void> {
  forgetSignIn();
  const ending = session;
  session = null;
  ringer?.stop();
  ringer = null;
  document.title = 'DmVoice';
  showSignIn(message);
  await ending?.stop();
}

const remembered = rememberedSignIn();
if (remembered) start(remembered);
else showSignIn();
