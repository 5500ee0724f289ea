// A resident, on a 360px phone screen, signs in to the portal with her IIN
// and the code sent to her phone, sees her data and the purposes they serve,
// and withdraws her consent after confirming it.
import { start, fixture, lastMessage } from './lib.mjs';

const resident = fixture.resident;
const run = await start('portal', { width: 360, height: 740 });
const { page } = run;

// noOverflow fails the path when the page is wider than the phone.
async function noOverflow(label) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  run.expect(width <= 360, `${label}: the page is ${width}px wide on a 360px screen`);
}

// code waits for the message derbes sends (in the background) and takes
// the six-digit number out of it.
async function code(to) {
  for (let i = 0; i < 50; i++) {
    try {
      const m = await lastMessage(to);
      const found = m.body.match(/\b\d{6}\b/);
      if (found) return found[0];
    } catch {
      // not yet sent
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no code arrived on the resident\'s phone');
}

await run.visit('/portal?lang=kk', 'start');
await noOverflow('start');
await page.fill('#iin', resident.iin);
await page.click('#iin-next');
await page.waitForSelector('#channel-form');
await run.check('channels');
await noOverflow('channels');
run.expect(await page.isChecked('#channel-phone'), 'the phone is not the channel offered first');
run.expect((await page.textContent('label[for="channel-phone"]')).includes('*** ** 67'), 'her phone is not shown masked');

await page.click('#send-code');
await page.waitForSelector('#code-form');
await run.check('code');
await page.fill('#code', await code(resident.phone));
await page.click('#sign-in');
await page.waitForURL(/\/portal\/data/);
await run.check('data');
await noOverflow('data');
const data = await page.textContent('main');
run.expect(data.includes(resident.name), 'the data page does not show her name');
run.expect(data.includes(resident.iin), 'the data page does not show her IIN');
run.expect((await page.locator('dd.purpose').count()) > 0, 'the data page shows no purpose');
run.expect((await page.textContent('.consent-state')).trim() === 'күшінде', 'her consent is not shown in force');

await page.getByRole('link', { name: 'Бұл келісімді кері қайтару' }).click();
await page.waitForSelector('#confirm-withdraw');
await run.check('withdraw-confirm');
await noOverflow('withdraw-confirm');
await page.click('#confirm-withdraw');
await page.waitForURL(/done=withdrawn/);
await run.check('withdrawn');
run.expect(await page.isVisible('#notice'), 'no notice that the consent is withdrawn');
run.expect((await page.textContent('.consent-state')).trim() === 'кері қайтарылған', 'the consent is not shown withdrawn');
run.expect((await page.locator('a.button').count()) === 0, 'a withdrawn consent still offers withdrawal');

await page.click('#sign-out');
await page.waitForURL(/\/portal\?signed_out=1/);
await run.check('signed-out');
run.expect(await page.isVisible('#notice'), 'no notice that she signed out');
await run.finish();
