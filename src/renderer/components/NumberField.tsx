import { MAX_STORIES_IN_PARALLEL } from '../../shared/limits';

/** A labelled number input of the forms (budget, stories in parallel): the text stays as typed; the form validates it. */
export function NumberField(props: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  testId: string;
  min?: number;
  max?: number;
  step?: number;
  placeholder?: string;
}) {
  return (
    <label className="field">
      <span>{props.label}</span>
      <input
        className="input"
        type="number"
        min={props.min}
        max={props.max}
        step={props.step}
        value={props.value}
        placeholder={props.placeholder}
        onChange={(e) => props.onChange(e.target.value)}
        data-testid={props.testId}
      />
    </label>
  );
}

/** The "Stories in parallel" input, bounded like every other place that takes it. */
export function StoriesInParallelField(props: { value: string; onChange: (value: string) => void; testId: string }) {
  return <NumberField label="Stories in parallel" min={1} max={MAX_STORIES_IN_PARALLEL} step={1} {...props} />;
}

/**
 * A budget in US dollars, to the cent. `optional` (the default for the next sessions) may stay
 * empty for none; a session's own budget must be above $0.
 */
export function BudgetField(props: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  testId: string;
  optional?: boolean;
}) {
  const { optional, ...field } = props;
  return <NumberField min={optional ? 0 : 0.01} step={0.01} placeholder={optional ? 'none' : undefined} {...field} />;
}
