// Reads a chosen metadata file into the form's text field, so the form posts the document itself;
// without script, the document is pasted into that field.
for (const input of document.querySelectorAll('input[type=file][data-fills]')) {
  input.addEventListener('change', async () => {
    const file = input.files?.[0];
    const target = document.getElementById(input.dataset.fills);
    if (file && target) target.value = await file.text();
  });
}
