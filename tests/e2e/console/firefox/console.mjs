// The console in Debian's Firefox ESR, headless, driven by puppeteer-core over WebDriver
// BiDi (Playwright cannot drive a stock Firefox): sign in with a password, the clusters
// page with its live stream, the create wizard up to its estimate, then the new cluster's
// page followed until it is READY, with no reload: only the console's EventSource can
// bring it there. Run by test_firefox.py, which reads the one JSON line printed on stdout.
//
// Environment: SKYCLUST_GATEWAY_URL, SKYCLUST_CONSOLE_EMAIL, SKYCLUST_CONSOLE_PASSWORD,
// SKYCLUST_SCREENSHOTS (a directory), and optionally FIREFOX (the executable) and
// SKYCLUST_READY_SECONDS.

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import puppeteer from "puppeteer-core";

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined || value === "") throw new Error(`${name} is not set`);
  return value;
};

const base = env("SKYCLUST_GATEWAY_URL").replace(/\/$/, "");
const email = env("SKYCLUST_CONSOLE_EMAIL");
const password = env("SKYCLUST_CONSOLE_PASSWORD");
const shots = env("SKYCLUST_SCREENSHOTS");
const firefox = env("FIREFOX", "/usr/bin/firefox-esr");
const readyMs = Number(env("SKYCLUST_READY_SECONDS", "120")) * 1000;
// A page step on a loaded 2-core machine; the wait for READY has its own.
const STEP_MS = 30_000;

const result = { steps: [], screenshots: {} };
let step = "launch";

function done(ok, extra = {}) {
  process.stdout.write(`${JSON.stringify({ ok, ...result, ...extra })}\n`);
}

async function screenshot(page, name) {
  const path = join(shots, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  result.screenshots[name] = path;
}

const text = (page, selector) =>
  page.$eval(selector, (node) => node.textContent.trim()).catch(() => null);

async function heading(page, name) {
  await page.waitForFunction(
    (wanted) => [...document.querySelectorAll("h1")].some((h) => h.textContent.trim() === wanted),
    { timeout: STEP_MS },
    name,
  );
}

// The form control a <label> with this text names, as Playwright's getByLabel finds it.
// Not by the accessibility tree: there, Firefox gives the <label> itself the same name,
// and a password field no role to pick it out by (Chromium calls it a textbox).
async function labelled(page, label) {
  const found = await page.waitForFunction(
    (wanted) =>
      [...document.querySelectorAll("label")].find((l) => l.textContent.trim() === wanted)
        ?.control,
    { timeout: STEP_MS },
    label,
  );
  return found.asElement();
}

function begin(name) {
  step = name;
  result.steps.push(name);
}

mkdirSync(shots, { recursive: true });
let browser;
let page;
try {
  browser = await puppeteer.launch({
    browser: "firefox",
    executablePath: firefox,
    headless: true,
    timeout: 90_000,
  });
  result.browser = await browser.version();
  result.userAgent = await browser.userAgent();
  page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 860 });
  page.setDefaultTimeout(STEP_MS);
  // What the page itself reports as failing: kept for the test's message.
  result.pageErrors = [];
  page.on("pageerror", (error) => result.pageErrors.push(String(error.message ?? error)));

  begin("sign in");
  await page.goto(`${base}/console/`);
  await heading(page, "Sign in to SkyClust");
  await (await labelled(page, "Email")).type(email);
  await (await labelled(page, "Password")).type(password);
  // Buttons and links by role and accessible name, as a screen reader finds them.
  await page.locator('::-p-aria(Sign in[role="button"])').click();

  begin("clusters page");
  await heading(page, "Clusters");
  await page.waitForFunction(() => document.querySelector("#live")?.textContent === "live");
  result.whoami = await text(page, "#whoami");
  result.live = await text(page, "#live");
  await screenshot(page, "firefox-clusters");

  begin("create wizard");
  await page.locator('::-p-aria(Create cluster[role="link"])').click();
  await heading(page, "Create a cluster");
  await page.locator('::-p-aria(AWS[role="radio"])').click();
  const next = page.locator('::-p-aria(Next[role="button"])');
  await next.click();
  await page.waitForFunction(() => document.querySelector("select[name=credential]")?.value);
  await next.click();
  const name = `fx-${Math.random().toString(16).slice(2, 8)}`;
  await (await labelled(page, "Cluster name")).type(name);
  await next.click();
  await page.waitForFunction(() => document.querySelectorAll("tr.node-group").length === 1);
  await next.click();
  await page.waitForFunction(() =>
    document.querySelector("#estimate-monthly")?.textContent.includes("$"),
  );
  result.name = name;
  result.estimate = await text(page, "#estimate-monthly");
  await screenshot(page, "firefox-wizard-review");

  begin("create");
  // Set on this document only: a reload would lose it.
  await page.evaluate(() => {
    window.__sameDocument = true;
  });
  await page.locator('::-p-aria(Create cluster[role="button"])').click();
  await page.waitForFunction(() => /^#\/clusters\/aws\/[0-9a-f-]{36}$/.test(location.hash));
  result.clusterId = page.url().split("/").pop();

  begin("ready live");
  const started = Date.now();
  // Every status the page shows, in order, as the stream's events make it re-read the
  // cluster: proof that it moved live rather than being loaded READY.
  await page.evaluate(() => {
    window.__statuses = [];
    const note = () => {
      const status = document.querySelector("#cluster-status")?.dataset.status;
      if (status && window.__statuses.at(-1) !== status) window.__statuses.push(status);
    };
    note();
    new MutationObserver(note).observe(document.querySelector("#view"), {
      subtree: true,
      childList: true,
      attributes: true,
    });
  });
  await page.waitForSelector('#cluster-status[data-status="READY"]', { timeout: readyMs });
  await page.waitForSelector('#timeline li[data-event="ClusterReady"]');
  result.readySeconds = (Date.now() - started) / 1000;
  result.statuses = await page.evaluate(() => window.__statuses);
  result.events = await page.$$eval("#timeline li", (items) => items.map((i) => i.dataset.event));
  result.sameDocument = await page.evaluate(() => window.__sameDocument === true);
  result.live = await text(page, "#live");
  await screenshot(page, "firefox-cluster-detail");

  begin("clusters list");
  await page.locator('::-p-aria(Clusters[role="link"])').click();
  await page.waitForSelector(`tr[data-cluster="${result.clusterId}"][data-status="READY"]`);
  result.listed = await text(page, `tr[data-cluster="${result.clusterId}"] th`);
  result.sameDocument &&= await page.evaluate(() => window.__sameDocument === true);
  await screenshot(page, "firefox-clusters-ready");
  done(true);
} catch (error) {
  if (page) await screenshot(page, "firefox-failed").catch(() => {});
  done(false, {
    failedStep: step,
    error: String(error?.stack ?? error),
    url: page?.url() ?? null,
  });
  process.exitCode = 1;
} finally {
  await browser?.close();
}
