// The phone page's service worker, registered only once the citizen has allowed
// notifications: Chrome on Android shows a page's notifications only through one. A tap on
// the notification brings the ticket's page back to the front.
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((pages) => {
      const page = pages.find((client) => new URL(client.url).pathname.startsWith("/t/"));
      return page ? page.focus() : undefined;
    }),
  );
});
