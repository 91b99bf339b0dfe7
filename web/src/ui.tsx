import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, messageFor } from './api';

/** A message for any failure: the contract's code as words, and the details when there are. */
export function ErrorMessage(props: { error: unknown; title?: string }) {
  if (props.error === undefined) return null;
  const details = props.error instanceof ApiError ? props.error.details : [];
  return (
    <div class="alert error" role="alert">
      {props.title && <strong>{props.title} </strong>}
      {messageFor(props.error)}
      {details.length > 0 && (
        <ul>
          {details.map((detail) => (
            <li key={detail}>{detail}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Loading(props: { label?: string }) {
  return (
    <p class="loading" role="status" aria-live="polite">
      {props.label ?? 'Loading…'}
    </p>
  );
}

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Loads on mount and when `key` changes; every view shows its loading and error state. */
export function useLoad<T>(load: () => Promise<T>, key: string): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({
    loading: true,
  });
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    const id = ++latest.current;
    setState((previous) => ({ data: previous.data, loading: true }));
    load().then(
      (data) => id === latest.current && setState({ data, loading: false }),
      (error: unknown) => id === latest.current && setState({ error, loading: false }),
    );
  }, [key, tick]);
  const reload = useCallback(() => setTick((value) => value + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

export function View<T>(props: {
  loaded: Loaded<T>;
  label: string;
  children: (data: T) => ComponentChildren;
}) {
  const { loaded } = props;
  if (loaded.error !== undefined && loaded.data === undefined) {
    return (
      <div>
        <ErrorMessage error={loaded.error} title={`Could not load ${props.label}.`} />
        <button type="button" onClick={loaded.reload}>
          Try again
        </button>
      </div>
    );
  }
  if (loaded.data === undefined) return <Loading label={`Loading ${props.label}…`} />;
  return (
    <>
      {loaded.error !== undefined && <ErrorMessage error={loaded.error} />}
      {props.children(loaded.data)}
    </>
  );
}

/** Runs an action, keeping its busy flag and its error for the form that started it. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);
  const run = useCallback(async (action: () => Promise<unknown>, success?: string) => {
    setBusy(true);
    setError(undefined);
    setDone(undefined);
    try {
      await action();
      setDone(success);
      return true;
    } catch (caught) {
      setError(caught);
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, done, run, setError };
}

export function Done(props: { message?: string }) {
  return props.message ? (
    <p class="alert ok" role="status">
      {props.message}
    </p>
  ) : null;
}

export function PageTitle(props: { children: string }) {
  useEffect(() => {
    document.title = `${props.children} · Gatehouse`;
  }, [props.children]);
  return <h1 tabIndex={-1}>{props.children}</h1>;
}
