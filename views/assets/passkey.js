// Passkey ceremonies of the sign-in and My account pages, through @simplewebauthn/browser. Each
// form carries its options URL; the result goes back in the form's hidden fields, posted as usual.
(() => {
  const { startAuthentication, startRegistration, browserSupportsWebAuthn, browserSupportsWebAuthnAutofill } = window.SimpleWebAuthnBrowser;

  async function ceremonyOptions(form) {
    const body = new URLSearchParams({ _csrf: form.querySelector('input[name=_csrf]').value });
    const response = await fetch(form.dataset.options, { method: 'POST', body, credentials: 'same-origin', headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error(`passkey options: ${response.status}`);
    return response.json();
  }

  function post(form, challengeId, result) {
    form.querySelector('input[name=challengeId]').value = challengeId;
    form.querySelector('input[name=response]').value = JSON.stringify(result);
    form.submit();
  }

  async function authenticate(form, useBrowserAutofill) {
    const { challengeId, options } = await ceremonyOptions(form);
    post(form, challengeId, await startAuthentication({ optionsJSON: options, useBrowserAutofill }));
  }

  async function register(form) {
    const { challengeId, options } = await ceremonyOptions(form);
    post(form, challengeId, await startRegistration({ optionsJSON: options }));
  }

  // A cancelled or refused ceremony leaves the page as it was: the person can try again or use another way.
  const quietly = (promise) => promise.catch(() => undefined);

  for (const form of document.querySelectorAll('form[data-passkey-sign-in], form[data-passkey-confirm], form[data-passkey-register]')) {
    if (!browserSupportsWebAuthn()) {
      form.hidden = true;
      continue;
    }
    const start = form.querySelector('[data-passkey-start]');
    const run = form.hasAttribute('data-passkey-register') ? () => register(form) : () => authenticate(form, false);
    start.addEventListener('click', () => quietly(run()));
  }

  const signIn = document.querySelector('form[data-passkey-sign-in]');
  if (signIn && browserSupportsWebAuthn()) {
    quietly(browserSupportsWebAuthnAutofill().then((supported) => supported && authenticate(signIn, true)));
  }
})();
