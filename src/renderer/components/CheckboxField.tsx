/** A checkbox with its label after it, as the toolbars have them (log scale, ignore whitespace, only failures). */
export function CheckboxField(props: {
  label: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
  className?: string;
  testId?: string;
  disabled?: boolean;
}) {
  return (
    <label className={props.className}>
      <input
        type="checkbox"
        checked={props.checked}
        disabled={props.disabled}
        onChange={(e) => props.onChange(e.target.checked)}
        data-testid={props.testId}
      />{' '}
      {props.label}
    </label>
  );
}
