// Posts a SAML request form as soon as the page loads; without script the visible button does it.
for (const form of document.querySelectorAll('form[data-auto-submit]')) form.submit();
