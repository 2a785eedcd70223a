/* The Telegram Mini App's entry (web/respond/miniapp.py): Telegram puts the signed initData in
   the address's fragment (#tgWebAppData=...), which no request carries; post it once, in a plain
   form, to be exchanged for the form token. Nothing else: no script from Telegram's servers. */
(function () {
  "use strict";
  var fragment = new URLSearchParams(window.location.hash.slice(1));
  var initData = fragment.get("tgWebAppData");
  var form = document.getElementById("miniapp-enter");
  if (!initData || !form) {
    return; // not opened by Telegram: the page says where to open it from
  }
  // Tell Telegram the page is ready (its own script would; the two bridges it offers).
  var ready = JSON.stringify({ eventType: "web_app_ready", eventData: {} });
  if (window.TelegramWebviewProxy && window.TelegramWebviewProxy.postEvent) {
    window.TelegramWebviewProxy.postEvent("web_app_ready", "{}");
  } else if (window.parent !== window) {
    window.parent.postMessage(ready, "https://web.telegram.org");
  }
  document.getElementById("init-data").value = initData;
  form.submit();
})();
