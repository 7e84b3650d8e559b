// Does nothing: for measuring what idle actors cost.
import { defineActor } from 'dualbus';
export default defineActor({ receive() {} });
