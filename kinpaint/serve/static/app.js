// kinpaint serve: open a picture, paint the hole, press Fill, download the result.
// Plain JavaScript, no build step and nothing loaded from elsewhere. The strokes are kept as a
// list (for undo) in the picture's own pixels; the mask sent is drawn from them at that size.
// A server may offer several models: the Model list chooses the one sent with the fill.
"use strict";

const $ = (id) => document.getElementById(id);
const picture = $("picture");
const strokes = $("strokes");
const STROKE_COLOUR = "#ff2d55";
const state = {
  info: null, model: null, file: null, name: "picture", strokes: [], current: null, result: null, busy: false,
};

function setState(name) {
  document.body.dataset.state = name;
}

function say(text, isError = false) {
  $("message").textContent = text;
  $("message").classList.toggle("error", isError);
}

function megabytes(bytes) {
  return (bytes / 2 ** 20).toFixed(1);
}

function updateButtons() {
  const painted = state.strokes.length > 0;
  $("undo").disabled = state.busy || !painted;
  $("clear").disabled = state.busy || !painted;
  $("fill").disabled = state.busy || !state.file || !painted;
  $("model-select").disabled = state.busy;
}

function chooseModel(name) {
  // The chosen model's description (from /api/model's "models"): what it fills, whether it reads captions.
  const models = state.info.models || [state.info];
  state.model = models.find((model) => model.name === name) || models[0];
  const size = state.model.image_size;
  $("model").textContent = `model: ${state.model.name}` +
    (state.model.fills_any_size ? " (fills at full resolution)" : ` (fills at ${size}x${size}, pasted back)`);
  $("captions").hidden = !state.model.reads_captions;
}

function showModelChoice() {
  // The Model list, shown only when the server offers more than one model; the first is the default.
  const models = state.info.models || [state.info];
  const select = $("model-select");
  select.replaceChildren(...models.map((model) => new Option(model.name, model.name)));
  select.value = state.info.name;
  $("model-choice").hidden = models.length < 2;
  chooseModel(select.value);
}

$("model-select").addEventListener("change", () => chooseModel($("model-select").value));

async function loadModelInfo() {
  try {
    const response = await fetch("/api/model");
    state.info = await response.json();
    showModelChoice();
    setState(state.file ? "ready" : "empty");
  } catch (error) {
    say("The server did not answer: is kinpaint serve still running?", true);
    setState("error");
  }
}

// Opening a picture.

function openFile(file) {
  if (!file) return;
  if (state.info && (file.size * 4) / 3 > state.info.max_upload_bytes) {
    say(`${file.name} is ${megabytes(file.size)} MB; this server takes pictures up to about ` +
        `${megabytes((state.info.max_upload_bytes * 3) / 4)} MB (kinpaint serve --max-upload-mb raises the limit)`, true);
    return;
  }
  const url = URL.createObjectURL(file);
  const image = new Image();
  image.onload = () => {
    for (const canvas of [picture, strokes]) {
      canvas.width = image.naturalWidth;
      canvas.height = image.naturalHeight;
    }
    picture.getContext("2d").drawImage(image, 0, 0);
    URL.revokeObjectURL(url);
    state.file = file;
    state.name = (file.name || "picture").replace(/\.[^.]*$/, "") || "picture";
    state.strokes = [];
    redrawStrokes();
    showResult(null);
    $("canvas-wrap").hidden = false;
    $("placeholder").hidden = true;
    say(`${file.name}: ${image.naturalWidth}x${image.naturalHeight}. Paint over what to replace, then press Fill.`);
    setState("ready");
    updateButtons();
  };
  image.onerror = () => {
    URL.revokeObjectURL(url);
    say(`This browser cannot show ${file.name}: open a PNG, JPEG, WebP or GIF picture.`, true);
  };
  image.src = url;
}

$("file").addEventListener("change", (event) => {
  openFile(event.target.files[0]);
  event.target.value = ""; // opening the same file again fires change again
});

const stage = $("stage");
stage.addEventListener("dragover", (event) => {
  event.preventDefault();
  stage.classList.add("dropping");
});
stage.addEventListener("dragleave", () => stage.classList.remove("dropping"));
stage.addEventListener("drop", (event) => {
  event.preventDefault();
  stage.classList.remove("dropping");
  openFile(event.dataTransfer.files[0]);
});

// Painting: strokes in picture pixels; the brush slider is in screen pixels.

function pointOf(event) {
  const box = strokes.getBoundingClientRect();
  return [((event.clientX - box.left) * strokes.width) / box.width, ((event.clientY - box.top) * strokes.height) / box.height];
}

function brushWidth() {
  const box = strokes.getBoundingClientRect();
  return (Number($("brush").value) * strokes.width) / box.width;
}

function drawStroke(context, stroke, colour, from = 0) {
  context.strokeStyle = colour;
  context.fillStyle = colour;
  context.lineWidth = stroke.width;
  context.lineCap = "round";
  context.lineJoin = "round";
  const points = stroke.points;
  if (points.length === 1) {
    context.beginPath();
    context.arc(points[0][0], points[0][1], stroke.width / 2, 0, 2 * Math.PI);
    context.fill();
    return;
  }
  context.beginPath();
  context.moveTo(...points[Math.max(from - 1, 0)]);
  for (let index = Math.max(from, 1); index < points.length; index += 1) context.lineTo(...points[index]);
  context.stroke();
}

function redrawStrokes() {
  const context = strokes.getContext("2d");
  context.clearRect(0, 0, strokes.width, strokes.height);
  for (const stroke of state.strokes) drawStroke(context, stroke, STROKE_COLOUR);
}

strokes.addEventListener("pointerdown", (event) => {
  if (!state.file || state.busy || event.button !== 0) return;
  event.preventDefault();
  strokes.setPointerCapture(event.pointerId);
  state.current = { width: brushWidth(), points: [pointOf(event)] };
  state.strokes.push(state.current);
  drawStroke(strokes.getContext("2d"), state.current, STROKE_COLOUR);
  updateButtons();
});

strokes.addEventListener("pointermove", (event) => {
  if (!state.current) return;
  const stroke = state.current;
  stroke.points.push(pointOf(event));
  drawStroke(strokes.getContext("2d"), stroke, STROKE_COLOUR, stroke.points.length - 1);
});

for (const name of ["pointerup", "pointercancel"]) {
  strokes.addEventListener(name, () => {
    state.current = null;
  });
}

$("brush").addEventListener("input", () => {
  $("brush-size").textContent = $("brush").value;
});

function undo() {
  if (state.busy || state.strokes.length === 0) return;
  state.strokes.pop();
  redrawStrokes();
  updateButtons();
}

$("undo").addEventListener("click", undo);
$("clear").addEventListener("click", () => {
  state.strokes = [];
  redrawStrokes();
  updateButtons();
});
document.addEventListener("keydown", (event) => {
  if ((event.ctrlKey || event.metaKey) && event.key === "z" && !(event.target instanceof HTMLInputElement)) {
    event.preventDefault();
    undo();
  }
});

// Captions (shown when the chosen model reads them).

$("add-caption").addEventListener("click", () => {
  const input = document.createElement("input");
  input.type = "text";
  input.className = "caption";
  input.placeholder = "another caption";
  $("caption-list").append(input);
  input.focus();
});

function captions() {
  if (!state.model || !state.model.reads_captions) return [];
  return [...document.querySelectorAll(".caption")].map((input) => input.value.trim()).filter((text) => text);
}

// Filling.

function maskDataUrl() {
  // Black = keep, white = fill, at the picture's own size.
  const canvas = document.createElement("canvas");
  canvas.width = strokes.width;
  canvas.height = strokes.height;
  const context = canvas.getContext("2d");
  context.fillStyle = "#000";
  context.fillRect(0, 0, canvas.width, canvas.height);
  for (const stroke of state.strokes) drawStroke(context, stroke, "#fff");
  return canvas.toDataURL("image/png");
}

function readAsDataUrl(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(new Error(`cannot read ${file.name}: ${reader.error}`));
    reader.readAsDataURL(file);
  });
}

function showResult(blob) {
  if (state.result) URL.revokeObjectURL(state.result.url);
  state.result = blob ? { blob, url: URL.createObjectURL(blob) } : null;
  const url = state.result ? state.result.url : "";
  $("result").hidden = $("download").hidden = $("keep-editing").hidden = !blob;
  $("result-placeholder").hidden = Boolean(blob);
  if (blob) {
    $("result").src = url;
    $("download").href = url;
    $("download").download = `${state.name}-filled.png`;
  } else {
    $("result").removeAttribute("src");
    $("download").removeAttribute("href");
  }
}

async function fill() {
  state.busy = true;
  updateButtons();
  setState("filling");
  say("Filling…");
  const started = performance.now();
  const file = state.file;
  try {
    const request = { image: await readAsDataUrl(file), mask: maskDataUrl(), captions: captions() };
    if (state.model) request.model = state.model.name;
    const body = JSON.stringify(request);
    if (state.info && body.length > state.info.max_upload_bytes) {
      throw new Error(`the upload is ${megabytes(body.length)} MB; this server takes at most ` +
                      `${megabytes(state.info.max_upload_bytes)} MB (kinpaint serve --max-upload-mb raises the limit)`);
    }
    let response;
    try {
      response = await fetch("/api/fill", { method: "POST", headers: { "Content-Type": "application/json" }, body });
    } catch (error) {
      throw new Error("the server did not answer: is kinpaint serve still running?");
    }
    if (!response.ok) {
      let text = `${response.status} ${response.statusText}`;
      try {
        text = (await response.json()).error || text;
      } catch (error) {
        // not JSON: keep the status line
      }
      throw new Error(text);
    }
    const blob = await response.blob();
    if (state.file !== file) return; // another picture was opened meanwhile
    showResult(blob);
    const seconds = (performance.now() - started) / 1000;
    document.body.dataset.roundTripSeconds = seconds.toFixed(3);
    const notes = response.headers.get("x-kinpaint-notes");
    const modelSeconds = Number(response.headers.get("x-kinpaint-fill-seconds"));
    document.body.dataset.modelSeconds = modelSeconds.toFixed(3);
    say(`Filled in ${seconds.toFixed(2)} s (the model took ${modelSeconds.toFixed(2)} s).` +
        (notes ? ` Note: ${notes}.` : ""));
    setState("done");
  } catch (error) {
    say(`Could not fill: ${error.message}`, true);
    setState("error");
  } finally {
    state.busy = false;
    updateButtons();
  }
}

$("fill").addEventListener("click", fill);
$("keep-editing").addEventListener("click", () => {
  if (state.result) openFile(new File([state.result.blob], `${state.name}.png`, { type: "image/png" }));
});

loadModelInfo();
