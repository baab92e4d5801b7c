// The checkpoint page's service worker: keeps the page, its scripts, the public keys and
// the latest revocation list, answering from the network when it can (and refreshing the
// copy) and from the copy when the network is off.
const CACHE = "supplywatch-checkpoint-v1";
const VENDOR_MODULES = []; // the server lists the vendored modules pass-verify.js imports
const KEPT = [
  "/checkpoint",
  "/static/js/checkpoint.js",
  "/static/js/pass-verify.js",
  "/static/css/site.css",
  "/static/vendor/htmx/htmx.min.js",
  "/api/v1/passes/keys",
  "/api/v1/passes/revocations",
  ...VENDOR_MODULES,
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(KEPT)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => { event.waitUntil(self.clients.claim()); });

function kept(url) {
  return url.origin === self.location.origin && KEPT.includes(url.pathname);
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || !kept(url)) { return; }
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(url.pathname, copy));
        }
        return response;
      })
      .catch(() => caches.match(url.pathname).then((found) => found || Response.error()))
  );
});
