/** A malformed annotation: names the file, the record's index in it and the field. */
export class AnnotationError extends Error {
  constructor(
    readonly file: string,
    readonly recordIndex: number | null,
    readonly field: string | null,
    readonly detail: string,
  ) {
    const where = [
      file,
      recordIndex === null ? null : `record ${recordIndex}`,
      field === null ? null : `field "${field}"`,
    ]
      .filter((part) => part !== null)
      .join(', ');
    super(`${where}: ${detail}`);
    this.name = 'AnnotationError';
  }
}
