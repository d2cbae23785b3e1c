// The storefront's only script: lists products (cache-aside reads through the
// service) and places orders with an idempotency key, so that a retried click
// never orders twice.
"use strict";

const list = document.getElementById("products");
const more = document.getElementById("more");
let next = "";

function price(cents) {
  return (cents / 100).toFixed(2);
}

async function loadProducts() {
  const url = "/api/products" + (next ? "?cursor=" + encodeURIComponent(next) : "");
  const res = await fetch(url);
  if (!res.ok) {
    list.textContent = "Could not load products (" + res.status + ").";
    return;
  }
  const page = await res.json();
  if (!next) list.replaceChildren();
  for (const p of page.products) {
    const li = document.createElement("li");
    li.textContent = "#" + p.id + " " + p.name + " — " + price(p.priceCents);
    list.append(li);
  }
  next = page.next || "";
  more.hidden = !next;
}

document.getElementById("order").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const out = document.getElementById("result");
  const key = form.dataset.key || crypto.randomUUID();
  form.dataset.key = key; // the same key until the order goes through
  const res = await fetch("/api/orders", {
    method: "POST",
    headers: { "Content-Type": "application/json", "Idempotency-Key": key },
    body: JSON.stringify({
      customerEmail: form.email.value,
      lines: [{ productId: Number(form.product.value), quantity: Number(form.quantity.value) }],
    }),
  });
  out.textContent = res.status + " " + JSON.stringify(await res.json().catch(() => ({})), null, 2);
  if (res.ok) delete form.dataset.key;
});

more.addEventListener("click", loadProducts);
loadProducts();
