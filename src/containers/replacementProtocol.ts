// The replacement protocol as data: the three names one replaced container can hold on its host while freshen works on it, and
// what the host's guard does in each state once freshen is gone. guardScript.ts builds the guard's shell from GUARD_RULES, and
// guardOutcome() is the same decision in TypeScript, so one table test runs both against every state (guardProtocol.test.ts).

/** How one of a replacement's names stands on the host: no such container, running (and healthy if it has a check), or not. */
export type NameState = 'missing' | 'serves' | 'down';

/**
 * The three names of one replacement: `name` the original name (the container serving, or the replacement once it took the
 * name), `parked` `NAME.freshen-old` (the original, moved aside), `spare` `NAME.freshen-new` (a replacement started beside the
 * original, or one moved aside because it did not serve).
 */
export type Role = 'name' | 'parked' | 'spare';

export type ReplacementState = Record<Role, NameState>;

/** A rule's condition on one name: one state, or `present` for serves or down. */
type Condition = Partial<Record<Role, NameState | 'present'>>;

/** Text logged on the host; `{name}`, `{parked}` and `{spare}` stand for the container names. */
type LogText = string;

export type GuardAction =
  /** Stops the container (a failure is only not logged: the next rule's state is what the next run settles). */
  | { do: 'stop'; who: Role; timeoutSeconds?: number; logged?: LogText }
  /** Renames; on failure the guard logs `failed` and does nothing more for this container. */
  | { do: 'rename'; from: Role; to: Role; logged?: LogText; failed: LogText }
  | { do: 'log'; text: LogText }
  /** Starts the restored container if it ran before freshen touched it, and says which. */
  | { do: 'start-if-it-ran' };

export interface GuardRule {
  id: string;
  /** Why the rule does what it does: the comment in the guard's shell and the docs' table. */
  why: string;
  when: Condition;
  then: GuardAction[];
}

/**
 * The guard's rules for one watched container, first match wins. It only stops and renames: it never removes a container, so
 * whatever it leaves, the next run can still settle (start adopts, redoes or removes what is left under each name).
 */
export const GUARD_RULES: readonly GuardRule[] = [
  {
    id: 'spare-beside-original',
    why: 'a start-first replacement that never got the name: the original still serves, so two instances would run',
    when: { parked: 'missing', name: 'present', spare: 'present' },
    then: [{ do: 'stop', who: 'spare', logged: 'stopped {spare}: {name} still serves' }],
  },
  { id: 'nothing-parked', why: 'nothing was moved aside: the original is where it was', when: { parked: 'missing' }, then: [] },
  {
    id: 'replacement-serves',
    why: 'the replacement took the name and serves: the parked original is left for the next run to remove',
    when: { name: 'serves' },
    then: [{ do: 'log', text: '{name} serves; {parked} is left for the next run' }],
  },
  {
    id: 'spare-serves',
    why: 'a start-first handover stopped between the two renames: the healthy replacement takes the name',
    when: { name: 'missing', spare: 'serves' },
    then: [{ do: 'rename', from: 'spare', to: 'name', logged: 'gave {name} to its healthy replacement', failed: 'could not rename {spare} to {name}' }],
  },
  {
    id: 'two-replacements',
    why: 'both the name and the spare hold a replacement: which one to keep is for the next run, which can see why',
    when: { name: 'down', spare: 'present' },
    then: [{ do: 'log', text: '{name} does not serve but {spare} exists: left for the next run' }],
  },
  {
    id: 'replacement-down',
    why: 'the replacement does not serve: it is moved aside (stopped, kept for its logs) and the original put back',
    when: { name: 'down' },
    then: [
      // It does not serve anyway; the original should not wait long for it.
      { do: 'stop', who: 'name', timeoutSeconds: 5 },
      {
        do: 'rename',
        from: 'name',
        to: 'spare',
        logged: 'moved the replacement that does not serve aside as {spare}',
        failed: 'could not move the replacement {name} aside',
      },
      { do: 'rename', from: 'parked', to: 'name', failed: 'could not rename {parked} to {name}' },
      { do: 'start-if-it-ran' },
    ],
  },
  {
    id: 'no-replacement',
    why: 'the original was parked and nothing took its name: it is put back',
    when: { name: 'missing' },
    then: [{ do: 'rename', from: 'parked', to: 'name', failed: 'could not rename {parked} to {name}' }, { do: 'start-if-it-ran' }],
  },
];

const matches = (condition: NameState | 'present' | undefined, state: NameState): boolean =>
  condition === undefined || condition === state || (condition === 'present' && state !== 'missing');

/** The rule the guard applies to a container in `state` (every state has one: the last two cover what the others leave). */
export function guardRule(state: ReplacementState): GuardRule {
  const rule = GUARD_RULES.find(({ when }) => (Object.keys(state) as Role[]).every((role) => matches(when[role], state[role])));
  if (!rule) throw new Error(`no guard rule for ${JSON.stringify(state)}`);
  return rule;
}

/** What the guard leaves, and logs, for one container; `starts` says whether a `docker start` succeeds (it can fail). */
export interface GuardOutcome {
  rule: string;
  after: ReplacementState;
  log: string[];
}

/** The names the rule's text stands for. */
export const roleNames = (name: string): Record<Role, string> => ({ name, parked: `${name}.freshen-old`, spare: `${name}.freshen-new` });

export const fillNames = (text: LogText, name: string): string => text.replace(/\{(name|parked|spare)\}/g, (_, role: Role) => roleNames(name)[role]);

/**
 * The guard's decision in TypeScript, on a model of the host where every command succeeds unless it cannot (a rename onto a
 * taken name, a stop or rename of a missing container): the state it leaves and the lines it logs.
 */
export function guardOutcome(name: string, state: ReplacementState, ranBefore: boolean): GuardOutcome {
  const rule = guardRule(state);
  const after = { ...state };
  const log: string[] = [];
  const say = (text: LogText): void => void log.push(fillNames(text, name));
  for (const action of rule.then) {
    if (action.do === 'log') say(action.text);
    else if (action.do === 'stop') {
      if (after[action.who] === 'missing') continue;
      after[action.who] = 'down';
      if (action.logged !== undefined) say(action.logged);
    } else if (action.do === 'rename') {
      if (after[action.from] === 'missing' || after[action.to] !== 'missing') {
        say(action.failed);
        break;
      }
      after[action.to] = after[action.from];
      after[action.from] = 'missing';
      if (action.logged !== undefined) say(action.logged);
    } else if (ranBefore) {
      after.name = 'serves';
      say('restored {name} and started it');
    } else say('restored {name} (it was not running)');
  }
  return { rule: rule.id, after, log };
}
