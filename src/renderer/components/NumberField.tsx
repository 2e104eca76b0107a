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
