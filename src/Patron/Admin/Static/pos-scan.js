// The POS screen's QR scan (docs/ADMIN.md): the camera through getUserMedia, or a photo of the code chosen
// with "Scan an image". The browser's BarcodeDetector decodes where it exists, else the vendored jsQR
// (/admin/static/jsQR.js, loaded on first use). A decoded value is typed into the find field and the form
// is sent, as a person would: without JavaScript the same form works with the code typed by hand.
(function () {
  'use strict';
  var section = document.getElementById('scan');
  var form = document.getElementById('find-form');
  var field = document.getElementById('find');
  if (!section || !form || !field) { return; }
  var status = document.getElementById('scan-status');
  var video = document.getElementById('scan-video');
  var cameraButton = document.getElementById('scan-camera');
  var stopButton = document.getElementById('scan-stop');
  var fileInput = document.getElementById('scan-file');
  var canvas = document.createElement('canvas');
  var stream = null;
  var detector = null;
  var jsqr = null;

  function say(text) { status.textContent = text; }

  function nativeDetector() {
    if (detector === null && 'BarcodeDetector' in window) {
      try { detector = new window.BarcodeDetector({ formats: ['qr_code'] }); } catch (e) { detector = false; }
    }
    return detector || null;
  }

  function loadJsQr() {
    if (jsqr) { return jsqr; }
    jsqr = new Promise(function (resolve, reject) {
      if (window.jsQR) { resolve(window.jsQR); return; }
      var script = document.createElement('script');
      script.src = '/admin/static/jsQR.js';
      script.onload = function () { resolve(window.jsQR); };
      script.onerror = function () { jsqr = null; reject(new Error('The QR decoder could not be loaded.')); };
      document.head.appendChild(script);
    });
    return jsqr;
  }

  // Decodes one frame or image (anything drawImage takes); resolves to the text or null.
  function decode(source, width, height) {
    var native = nativeDetector();
    if (native) {
      return native.detect(source).then(function (codes) { return codes.length ? codes[0].rawValue : null; });
    }
    return loadJsQr().then(function (decoder) {
      canvas.width = width;
      canvas.height = height;
      var context = canvas.getContext('2d', { willReadFrequently: true });
      context.drawImage(source, 0, 0, width, height);
      var found = decoder(context.getImageData(0, 0, width, height).data, width, height);
      return found ? found.data : null;
    });
  }

  function found(value) {
    stop();
    field.value = value.trim();
    say('Code read. Finding the customer…');
    form.submit();
  }

  function stop() {
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
    video.hidden = true;
    stopButton.hidden = true;
    cameraButton.hidden = false;
  }

  function tick() {
    if (!stream) { return; }
    if (video.readyState < 2 || !video.videoWidth) { requestAnimationFrame(tick); return; }
    decode(video, video.videoWidth, video.videoHeight).then(function (value) {
      if (value) { found(value); } else { setTimeout(tick, 150); }
    }, function (e) { say(e.message); stop(); });
  }

  cameraButton.addEventListener('click', function () {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      say('This browser gives no camera to the page: use "Scan an image" or type the code.');
      return;
    }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false }).then(function (s) {
      stream = s;
      video.srcObject = s;
      video.hidden = false;
      stopButton.hidden = false;
      cameraButton.hidden = true;
      say('Hold the customer\'s QR code in front of the camera.');
      return video.play().then(tick);
    }).catch(function () {
      say('The camera could not be opened: use "Scan an image" or type the code.');
      stop();
    });
  });

  stopButton.addEventListener('click', function () { stop(); say(''); });

  fileInput.addEventListener('change', function () {
    var file = fileInput.files && fileInput.files[0];
    if (!file) { return; }
    say('Reading the image…');
    var url = URL.createObjectURL(file);
    var image = new Image();
    image.onload = function () {
      decode(image, image.naturalWidth, image.naturalHeight).then(function (value) {
        URL.revokeObjectURL(url);
        if (value) { found(value); } else { say('No QR code was found in that image.'); }
      }, function (e) { URL.revokeObjectURL(url); say(e.message); });
    };
    image.onerror = function () { URL.revokeObjectURL(url); say('That file is not an image.'); };
    image.src = url;
  });

  section.hidden = false;
})();
