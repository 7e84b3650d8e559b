export const policy = 1;
