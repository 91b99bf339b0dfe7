import { ValidationOptions, registerDecorator } from 'class-validator';

function codePoints(value: string): number {
  let count = 0;
  for (const _ of value) count++;
  return count;
}

/**
 * Length in Unicode code points of the value as sent (API.md limits), unlike class-validator's
 * `@Length`, which counts UTF-16 units less some variation selectors.
 */
export function CodePointLength(
  min: number,
  max: number,
  options?: ValidationOptions,
): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'codePointLength',
      target: target.constructor,
      propertyName: String(propertyName),
      constraints: [min, max],
      options: {
        message: `${String(propertyName)} must be ${min} to ${max} characters`,
        ...options,
      },
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && codePoints(value) >= min && codePoints(value) <= max,
      },
    });
  };
}
