/**
 * What to do when a connection or OAuth state names a user that is not in `users`: Trainlytics links
 * connections to the host app's `users(id)` and never creates users itself.
 */
export const UNKNOWN_USER_HINT =
  'the user must already exist in your `users` table: insert the row (or sign the user up) before connecting a provider, and pass its `users.id` as userId';
