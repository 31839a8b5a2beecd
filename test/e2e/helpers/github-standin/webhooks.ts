import { createHmac, randomUUID } from "node:crypto";

/**
 * Webhook deliveries to the App, signed as GitHub signs them (X-Hub-Signature-256: HMAC-SHA256 of
 * the exact body with the webhook secret). GitHub does not retry a failed delivery on its own, so
 * neither does the stand-in: a failed one is recorded for the test to see.
 */
export interface Delivery {
  /** GitHub's numeric delivery id (`GET /app/hook/deliveries`); `guid` is X-GitHub-Delivery. */
  number: number;
  id: string;
  deliveredAt: string;
  redelivery: boolean;
  event: string;
  action: string | undefined;
  status: number | null;
  error: string | null;
  body: string;
}

export function createWebhookSender(params: { url: string; secret: string }) {
  const deliveries: Delivery[] = [];
  const pending = new Set<Promise<void>>();
  async function deliver(
    event: string,
    payload: Record<string, unknown>,
    again?: Delivery,
  ): Promise<Delivery> {
    const body = again?.body ?? JSON.stringify(payload);
    const delivery: Delivery = {
      number: deliveries.length + 1,
      id: again?.id ?? randomUUID(),
      deliveredAt: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      redelivery: again !== undefined,
      event,
      action: typeof payload.action === "string" ? payload.action : undefined,
      status: null,
      error: null,
      body,
    };
    deliveries.push(delivery);
    const signature = `sha256=${createHmac("sha256", params.secret).update(body).digest("hex")}`;
    const attempt = (async () => {
      try {
        const res = await fetch(params.url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "user-agent": "GitHub-Hookshot/standin",
            "x-github-event": event,
            "x-github-delivery": delivery.id,
            "x-github-hook-id": "1",
            "x-hub-signature-256": signature,
          },
          body,
          signal: AbortSignal.timeout(60_000),
        });
        delivery.status = res.status;
        await res.text();
      } catch (error) {
        delivery.error = (error as Error).message;
      }
    })();
    pending.add(attempt);
    await attempt.finally(() => pending.delete(attempt));
    return delivery;
  }
  return {
    deliveries,
    deliver,
    /** `POST /app/hook/deliveries/{id}/attempts`: the same body and GUID, sent again. */
    redeliver(number: number): Delivery | null {
      const original = deliveries.find((d) => d.number === number);
      if (!original) return null;
      void deliver(original.event, {}, original);
      return original;
    },
    /** Resolves once no delivery is in flight. */
    async settled(): Promise<void> {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}
