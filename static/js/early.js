/* Runs before the stylesheet is applied (templates/base.html loads it without `defer`), so that
   parts which start closed only where a script can open them (the compact menu) never flash open.
   A file rather than an inline script: the Content-Security-Policy allows scripts only by source. */
document.documentElement.classList.add("js");
