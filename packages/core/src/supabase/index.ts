export { type SupabaseRpcClient, supabaseStore } from './supabase-store';
